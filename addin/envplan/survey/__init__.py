"""The survey of departments and the yearly cycle: issuing signed templates, reading
and safety-checking returns, consolidating them into the master, feedback copies,
and opening the next year. May use `workbook`, `rules` and `plan`."""
