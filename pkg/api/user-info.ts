// Who a request is from (upstream's user.Info): what authentication names, and what the
// launcher writes into the token file for each component.
export interface UserInfo {
  name: string;
  uid?: string;
  groups: readonly string[];
}
