// Registers hooks.mjs for the Node scripts of the interop tests: node --import this file.
import { register } from "node:module";

register("./hooks.mjs", import.meta.url);
