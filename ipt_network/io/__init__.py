"""Input and output: the data contract, its tables, checking, files, samples and the store."""
