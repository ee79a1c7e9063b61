# filled in by the record batch codec work
