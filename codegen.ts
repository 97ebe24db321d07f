// Types for every GraphQL operation the web apps send, generated from the exported schema
// (schema/schema.graphql, kept current by a Rust test). Operations live next to the
// component that uses them, written with `graphql()` from `@portico/client/gql`.
import type { CodegenConfig } from "@graphql-codegen/cli";

const config: CodegenConfig = {
  schema: "schema/schema.graphql",
  documents: ["admin-ui/src/**/*.{ts,tsx}", "portal-ui/src/**/*.{ts,tsx}", "packages/client/src/**/*.ts", "!packages/client/src/gql/**"],
  ignoreNoDocuments: false,
  generates: {
    "packages/client/src/gql/": {
      preset: "client",
      presetConfig: { fragmentMasking: false },
      config: {
        enumsAsTypes: true,
        useTypeImports: true,
        strictScalars: true,
        scalars: {
          DateTime: "string",
          Date: "string",
          NaiveDate: "string",
          Upload: "File",
          JSON: "unknown",
          UUID: "string",
          Decimal: "string",
        },
      },
    },
  },
};

export default config;
