// The records area's routes: `routes` need a signed-in patient and render inside the shell;
// `publicRoutes` work signed out too (inside the branded frame).
import type { RouteObject } from "react-router";

export const routes: RouteObject[] = [];

export const publicRoutes: RouteObject[] = [];
