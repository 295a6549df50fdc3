"""Views and reports: words, colours, figures, the timeline, summaries and the report."""
