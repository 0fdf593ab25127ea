/**
 * A teacher's identity: the model (what the spec names: 'random:seed3:dim32', 'onnx:<hash16>:<output>') and the tags
 * of everything else that changes its output (input size, preprocessing, token grid, precision). Written as one
 * string, `model|tag|tag...`, which names cache folders and keys and is recorded in run summaries: this module is
 * the one place that joins and splits it, so the string stays byte-for-byte what earlier releases wrote.
 */
export interface TeacherIdentity {
  /** The model part: everything before the first '|'. */
  model: string;
  /** The tags after it, in order (a tag may itself hold '|'-joined parts; they are kept as written). */
  tags: string[];
}

/** 'model|tag|tag' (undefined tags are left out; empty ones are kept, as earlier releases wrote them). */
export function formatTeacherId(model: string, ...tags: Array<string | undefined>): string {
  return [model, ...tags.filter((t): t is string => t !== undefined)].join('|');
}

export function parseTeacherId(id: string): TeacherIdentity {
  const [model = '', ...tags] = id.split('|');
  return { model, tags };
}

/** The model part of a teacher id, for messages and file names ('random:seed3:dim32' of 'random:seed3:dim32|28px|unit'). */
export function teacherModel(id: string): string {
  return parseTeacherId(id).model;
}
