"""What a run writes: the month folder (staging, lock, publish), manifest, seal, workbook, journals, PDF."""
