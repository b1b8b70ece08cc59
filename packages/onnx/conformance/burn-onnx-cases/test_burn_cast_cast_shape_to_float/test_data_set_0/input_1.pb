B
multiplierJ®¿?