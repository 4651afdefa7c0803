"""Code that runs inside the Rasa server (.venv-rasa, Python 3.10): custom NLU components."""
