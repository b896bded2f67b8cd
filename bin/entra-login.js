#!/usr/bin/env node
import '../dist/entra-login.js'
