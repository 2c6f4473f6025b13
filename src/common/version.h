/* SPDX-License-Identifier: MIT */
#ifndef HP_VERSION_H
#define HP_VERSION_H
#ifndef HP_VERSION
#define HP_VERSION "0.9.0"
#endif
#endif
