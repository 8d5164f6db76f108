b() { b | b & }
b
