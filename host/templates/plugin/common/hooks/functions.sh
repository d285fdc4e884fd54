expect '"greet"' --hook functions
expect '"hello, world"' --hook functions --call greet --args '["world"]'
