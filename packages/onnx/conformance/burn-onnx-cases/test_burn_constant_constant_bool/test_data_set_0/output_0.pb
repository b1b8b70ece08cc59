	B
bitwise_orJ