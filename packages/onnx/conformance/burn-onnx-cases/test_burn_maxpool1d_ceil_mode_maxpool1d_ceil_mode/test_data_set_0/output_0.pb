B
max_pool1dJò°˜?1¿?×4·?