B
avg_pool1dJìž¼¾_½7¿þCb¿