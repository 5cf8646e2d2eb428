"""The command line: parses input, calls the library, renders results. The only code that prints."""
