"""Progress of a zone during construction (docs/domain.md, "Progress during construction"): milestones,
quarterly reports, the headline indicator's verified series, problems, and the public updates."""
