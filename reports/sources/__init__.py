"""Where the numbers come from: the HTTP client, the fetch, the raw snapshot, and one module per API source."""
