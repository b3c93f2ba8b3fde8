"""Label Studio round trip through label-studio-sdk: the labeling config from the codebook (config),
JSON <-> marks (convert), the SDK connection and its errors (client), push/pull/import (sync), and
background tasks for the admin (tasks). The SDK itself is imported lazily: it is heavy."""
