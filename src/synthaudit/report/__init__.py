"""Reports: report.json (versioned schema in report/schema/) and one self-contained report.html."""
