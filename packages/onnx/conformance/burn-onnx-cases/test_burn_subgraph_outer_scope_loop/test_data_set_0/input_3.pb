B
accum_initJ(‹?Šû¿;ßÏ½xz5¿™*È?­ú|¿