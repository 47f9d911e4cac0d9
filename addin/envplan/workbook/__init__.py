"""The master workbook: the small workbook interface (files and live books), its
layout, reader, writer, validation, result sheets, changes and change log, the
closed-year record, and safe atomic writes. May use `rules` and `plan`."""
