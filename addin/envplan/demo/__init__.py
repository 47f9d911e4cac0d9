"""`envplan demo`: the yearly cycle on the bundled samples, one module per step.
May use every part below it (the Excel door's add-in build included), never the CLI."""
