"""The demo chain: its catalogue as plain data and the loader that puts it in the database."""
