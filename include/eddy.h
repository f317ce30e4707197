/* eddy: Node.js's net module in C. The umbrella header. */
#ifndef EDDY_H
#define EDDY_H

#include "eddy/common.h"
#include "eddy/loop.h"
#include "eddy/emitter.h"
#include "eddy/net.h"

#endif
