Baccum1_finalJ”‡í¿V@¾Ÿ
?h‘>Ì±>œs?