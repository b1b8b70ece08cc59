B
final_cellJ~û@עי¿טÙ<ְך¥[>€¡V=lV?