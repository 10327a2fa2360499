// (no hooks: this case compares what the migrations made, through the collections API)
