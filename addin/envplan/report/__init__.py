"""Building the published report: web site, PDF annual report, evaluation
sheets and open data, all from one `ReportData` built from the plan and its
computed attainment (see `publish.py`)."""
