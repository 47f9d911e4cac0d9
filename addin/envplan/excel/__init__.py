"""The Excel door: the ribbon's actions and the live workbook behind them (xlwings),
the worksheet functions, and the add-in build (VBA project, its container) and
installer. May use everything below it (`survey`, `report`, `workbook`, …), never the CLI."""
