BwhereJã6
?‹ı…¾V?Zd¿