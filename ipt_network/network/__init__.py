"""The network engine: graphs, layout, change and metrics, for one client or a whole cohort."""
