"""The knowledge base: help-centre articles, their hybrid index, and the retriever."""
