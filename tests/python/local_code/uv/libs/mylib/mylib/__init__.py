NAME="mylib"
