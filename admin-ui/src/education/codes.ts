// The codes of a resource as the form types them: one "system code" a line.
export const SYSTEMS: Record<string, string> = { icd10: "ICD-10", snomed: "SNOMED CT", loinc: "LOINC", rxnorm: "RxNorm" };

export const LANGUAGES = [
  { tag: "en", name: "English" },
  { tag: "es", name: "Spanish" },
];

export function codesText(codes: readonly { system: string; code: string }[]): string {
  return codes.map((c) => `${c.system} ${c.code}`).join("\n");
}

/** The typed lines as codes, or the first line that is not "system code" (numbered from 1). */
export function codesFrom(text: string): { codes: { system: string; code: string }[]; problem?: string } {
  const codes: { system: string; code: string }[] = [];
  const lines = text.split("\n").map((l) => l.trim());
  for (const [i, line] of lines.entries()) {
    if (!line) continue;
    const [system = "", code, ...rest] = line.split(/\s+/);
    if (!code || rest.length > 0) {
      return { codes, problem: `Line ${i + 1}: write the system, a space, then the code, for example “icd10 E11.9”.` };
    }
    codes.push({ system: system.toLowerCase(), code });
  }
  return { codes };
}
