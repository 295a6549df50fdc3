"""The research layer: exports for network researchers (GraphML, egor, Parquet).

It sits above the clinical layer: its writers read the snapshot graphs, the metric
table and the scored measures, so they live here rather than in :mod:`ipt_network.io`.
"""
