BoutputJ:#
¿ëò?¡ø!¿J’¿Qº>ôlV¿