"""What people see: plotly figures, the HTML report, Excel/CSV exports, a view as a link."""
