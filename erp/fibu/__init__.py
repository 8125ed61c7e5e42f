"""FIBU: double-entry bookkeeping on SKR03 (journal, periods, reports, UStVA, DATEV)."""
