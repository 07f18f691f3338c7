"""The pure core: money, months, records, settings, allocation and the Report. No I/O."""
