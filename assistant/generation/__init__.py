"""Answer generation: the grounded prompt, the model runtimes and citation checking."""
