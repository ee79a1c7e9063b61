# filled in by the code generator work
