"""The CCO playbook: documents, chunks, embeddings, a Chroma index with BM25, cited answers."""
