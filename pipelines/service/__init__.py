"""The real-time scoring service (`gcrisk serve`): one declaration at a time, at lodgement.

`app` (the FastAPI app), `live` (the scorer in force and its reloads), `scorer` (features,
model, profiles, reasons), `selection` (online thresholds and the random draw), `snapshots`
(the warehouse's state in memory), `recorder` (the decision record, buffered), `auth` (keys).
"""
