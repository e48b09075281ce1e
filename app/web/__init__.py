"""HTTP plumbing shared by both APIs: the smorest Api, the error shape, auth, pagination, logging."""
