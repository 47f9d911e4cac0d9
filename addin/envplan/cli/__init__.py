"""The `envplan` command: one module per verb on a small shared app (`app.py`),
each a thin door onto the parts below it. The top layer: nothing imports the CLI."""
