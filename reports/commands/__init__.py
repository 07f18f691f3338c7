"""The commands of the command line, one module each; ``reports.cli`` parses and dispatches."""
