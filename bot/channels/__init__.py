"""The faces of the assistant: each renders Answers for one surface."""
