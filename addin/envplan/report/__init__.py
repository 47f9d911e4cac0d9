"""Publication: the web site, the PDF annual report, the evaluation sheets and open
data, all from one `ReportData` built from the plan and its computed attainment
(see `publish.py`). May use `workbook`, `rules` and `plan`, never the survey."""
