"""The terminal face: answers rendered with rich, and a chat that keeps the conversation's context."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from bot.core.answer import Answer
from bot.core.assistant import Assistant
from bot.core.conversation import Conversation
from bot.core.table import grid
from bot.playbook.answer import place

KIND_STYLE = {"kpi": "bold", "help": "cyan", "clarify": "yellow", "not_covered": "yellow", "denied": "red",
              "error": "red"}
QUIT = {"quit", "exit", "q", ":q", "bye", "farvel", "hej då"}


def render(answer: Answer, console: Console) -> None:
    """An Answer in the terminal: the sentence, a table for breakdowns, notes and follow-ups."""
    if answer.parts:  # each part as its own answer, the follow-ups once at the end
        for part in answer.parts:
            render(replace(part, followups=[]), console)
        _extras(replace(answer, citations=[], notes=[]), console)
        return
    style = KIND_STYLE.get(answer.kind, "")
    head = answer.summary if answer.rows and answer.summary else answer.text
    console.print(f"[{style}]{escape(head)}[/{style}]" if style else escape(head), highlight=False)
    if answer.narration:  # model-written, numbers checked (bot/llm/narrate.py): shown apart from the figures
        console.print(f"[italic]{escape(answer.narration)}[/italic]", highlight=False)
    rows = grid(answer)  # the table every face draws (bot/core/table.py)
    if rows is not None:
        heads, cells, _, numbers = rows
        console.print(_table(heads, cells, no_wrap={heads[i] for i in numbers}))
    _extras(answer, console)


def _extras(answer: Answer, console: Console) -> None:
    """Sources, notes and follow-ups under an answer."""
    for n, cite in enumerate(answer.citations, 1):
        where = place(cite["title"], cite["section"])
        link = cite.get("link") or cite["source"]  # the section itself, where there is one
        console.print(f"[dim][{n}] {escape(where)} ({cite['lang']}, {escape(link)})[/dim]", highlight=False)
    for note in answer.notes:
        console.print(f"[dim]• {escape(note)}[/dim]", highlight=False)
    if answer.followups:
        console.print("[dim]→ " + escape(" · ".join(answer.followups)) + "[/dim]", highlight=False)


def _table(heads: list[str], rows: list[list[str]], no_wrap: set[str] = frozenset()) -> Table:
    table = Table()
    for head in heads:  # amounts and dates are read whole: never wrap them
        table.add_column(head, no_wrap=head in no_wrap)
    for cells in rows:
        table.add_row(*(escape(c) for c in cells))
    return table


def chat(assistant: Assistant, console: Console, user: str | None = None, as_of: date | None = None) -> None:
    """Read questions until quit or end of input; follow-ups apply to the previous question."""
    convo = Conversation()
    console.print("[bold]ccobot[/bold] – ask about your KPIs or the CCO playbook in English, Danish or Swedish. "
                  "'help' for examples, 'quit' to leave.")
    if assistant.playbook is not None and assistant.playbook.index.state == "indexing":
        console.print("[dim]Indexing the playbook in the background; KPI questions work already.[/dim]")
    while True:
        try:
            question = console.input("[bold green]you>[/bold green] ")
        except (EOFError, KeyboardInterrupt):
            console.print()
            return
        if question.strip().lower() in QUIT:
            return
        render(assistant.ask(question, user=user, as_of=as_of, conversation=convo), console)
