"""Education bases and visit bookings (DOMAIN.md: Education bases and visits)."""
